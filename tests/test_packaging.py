"""The installer sources agree with each other and with the app, and the workflow is valid.

The installers are built only in CI (packaging/build_linux.sh in .ci/run, the installers workflow
on GitHub), and a mistake in a spec, script or workflow shows up there late and far from its cause.
These checks are quick and catch the usual ones here: a version written in two places, an icon
renamed on one side only, a pruning rule that drops a library the app needs, a workflow that
actionlint rejects, and the helper that checks a frozen build not noticing a broken service.
"""

from __future__ import annotations

import ast
import configparser
import os
import re
import shutil
import stat
import subprocess
import sys
import tomllib
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Any

import pytest
import yaml
from PIL import Image

import lookalike

REPO = Path(__file__).resolve().parents[1]
PACKAGING = REPO / "packaging"
SPEC = PACKAGING / "lookalike.spec"
ISS = PACKAGING / "windows" / "lookalike.iss"
DESKTOP = REPO / "resources" / "lookalike.desktop"
WORKFLOW = REPO / ".github" / "workflows" / "installers.yml"
ICONS = REPO / "resources" / "icons"


@pytest.fixture
def packaging_modules(monkeypatch: pytest.MonkeyPatch) -> dict[str, ModuleType]:
    """The scripts in packaging/, imported the way they import each other (from that folder)."""
    monkeypatch.syspath_prepend(str(PACKAGING))
    import app_version
    import build_opencv
    import check_frozen
    import make_icons

    return {"app_version": app_version, "build_opencv": build_opencv,
            "check_frozen": check_frozen, "make_icons": make_icons}


def spec_text() -> str:
    return SPEC.read_text(encoding="utf-8")


def spec_constant(name: str) -> Any:
    """A literal assigned at the top level of the spec (the spec itself needs PyInstaller)."""
    for node in ast.parse(spec_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == name for target in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{SPEC} assigns no {name}")


def spec_drop_reason() -> Any:
    """The spec's ``drop_reason`` with the constants it reads, run without PyInstaller."""
    wanted = {
        "DROPPED_QT_LIBRARIES", "KEPT_PLUGIN_TYPES", "KEPT_PLATFORMS", "KEPT_PLATFORM_THEMES",
        "KEPT_TRANSLATION", "DROPPED_FILES",
    }
    nodes: list[ast.stmt] = []
    for node in ast.parse(spec_text()).body:
        names = {t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)}
        if names & wanted or (isinstance(node, ast.FunctionDef) and node.name == "drop_reason"):
            nodes.append(node)
    namespace: dict[str, Any] = {"re": re, "PurePosixPath": PurePosixPath}
    exec(compile(ast.Module(body=nodes, type_ignores=[]), str(SPEC), "exec"), namespace)
    return namespace["drop_reason"]


def spec_function(name: str, **namespace: Any) -> Any:
    """One function of the spec, run without PyInstaller, with the names it reads given here."""
    for node in ast.parse(spec_text()).body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            code = compile(ast.Module(body=[node], type_ignores=[]), str(SPEC), "exec")
            exec(code, namespace)
            return namespace[name]
    raise AssertionError(f"{SPEC} defines no {name}")


def iss_sections() -> dict[str, list[str]]:
    """The Inno Setup script's lines by section, without comments and preprocessor lines."""
    sections: dict[str, list[str]] = {}
    current = ""
    for raw in ISS.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith((";", "#")):
            continue
        header = re.fullmatch(r"\[(\w+)\]", line)
        if header:
            current = header.group(1)
            sections.setdefault(current, [])
        else:
            sections.setdefault(current, []).append(line)
    return sections


def iss_setup_value(key: str) -> str:
    for line in iss_sections()["Setup"]:
        name, _, value = line.partition("=")
        if name.strip() == key:
            return value.strip()
    raise AssertionError(f"{ISS} [Setup] has no {key}")


def read_desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(DESKTOP, encoding="utf-8")
    return parser["Desktop Entry"]


def load_workflow() -> dict[Any, Any]:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def find_actionlint() -> str | None:
    beside_python = Path(sys.executable).parent / "actionlint"
    return str(beside_python) if beside_python.is_file() else shutil.which("actionlint")


# --- the workflow ---------------------------------------------------------------------------


def test_actionlint_accepts_the_installers_workflow() -> None:
    actionlint = find_actionlint()
    if actionlint is None:
        pytest.skip("actionlint is not installed")
    result = subprocess.run([actionlint, str(WORKFLOW)], capture_output=True, text=True,
                            cwd=REPO, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_builds_and_checks_every_platform() -> None:
    workflow = load_workflow()
    build = workflow["jobs"]["build"]
    entries = build["strategy"]["matrix"]["include"]
    assert {entry["os"] for entry in entries} == {
        "windows-latest", "macos-14", "macos-15-intel", "ubuntu-latest"
    }
    steps = build["steps"]
    runs = "\n".join(step.get("run", "") for step in steps)
    # Each OS checks its frozen app: Linux and macOS through their build scripts, which call
    # check_frozen.py; Windows directly, both the built and the installed app.
    assert "packaging/build_linux.sh" in runs
    assert "packaging/macos/build_macos.sh" in runs
    assert runs.count("packaging/check_frozen.py") == 2
    for script in ("build_linux.sh", "macos/build_macos.sh"):
        assert "packaging/check_frozen.py" in (PACKAGING / script).read_text(encoding="utf-8")
    uploads = [step for step in steps if str(step.get("uses", "")).startswith(
        "actions/upload-artifact")]
    assert len(uploads) == 1 and uploads[0]["with"]["path"] == "${{ matrix.artifact }}"
    assert {entry["artifact"].rsplit(".", 1)[-1] for entry in entries} == {"exe", "dmg", "gz"}


def test_workflow_releases_only_on_version_tags() -> None:
    workflow = load_workflow()
    triggers = workflow[True]  # YAML 1.1 reads the key "on" as True
    assert triggers["push"]["tags"] == ["v*"]
    release = workflow["jobs"]["release"]
    assert release["if"] == "startsWith(github.ref, 'refs/tags/v')"
    assert release["needs"] == "build"
    assert release["permissions"] == {"contents": "write"}
    assert workflow["permissions"] == {"contents": "read"}


# --- one version source ------------------------------------------------------------------------


def test_every_version_reader_agrees_with_the_package(
    packaging_modules: dict[str, ModuleType],
) -> None:
    version = packaging_modules["app_version"].read_version()
    assert version == lookalike.__version__
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["version"] == version, "pyproject.toml and __init__.py disagree"


def test_no_installer_source_writes_a_version_of_its_own() -> None:
    assert "from app_version import" in spec_text()
    assert re.search(r"^\s*version=VERSION,", spec_text(), re.MULTILINE)
    assert "AppVersion={#AppVersion}" in iss_sections()["Setup"]
    dotted = re.compile(r"\b\d+\.\d+(\.\d+)?\b")
    # Versions of other things, not of Lookalike: the oldest Windows, the dmgbuild wanted.
    others = ("MinVersion=10.0", "dmgbuild>=1.6")
    for path in (ISS, PACKAGING / "macos" / "build_macos.sh", PACKAGING / "build_linux.sh"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.lstrip().startswith((";", "#")) or any(o in line for o in others):
                continue
            assert not dotted.search(line), f"{path} spells a version: {line.strip()}"


def test_read_version_names_the_file_it_cannot_read(
    tmp_path: Path, packaging_modules: dict[str, ModuleType]
) -> None:
    app_version = packaging_modules["app_version"]
    broken = tmp_path / "__init__.py"
    broken.write_text('"""No version here."""\n', encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(str(broken))):
        app_version.read_version(broken)
    broken.write_text('__version__ = "dev"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="'dev'"):
        app_version.read_version(broken)
    broken.write_text('__version__ = "2.10.3rc1"\n', encoding="utf-8")
    assert app_version.read_version(broken) == "2.10.3rc1"


@pytest.mark.parametrize(
    ("version", "numbers"),
    [("0.1.0", (0, 1, 0, 0)), ("2.10.3rc1", (2, 10, 3, 0)), ("1.2.3.4.5", (1, 2, 3, 4)),
     ("7", (7, 0, 0, 0)), ("1.0+local.5", (1, 0, 0, 0))],
)
def test_numeric_version_gives_windows_four_numbers(
    version: str, numbers: tuple[int, ...], packaging_modules: dict[str, ModuleType]
) -> None:
    assert packaging_modules["app_version"].numeric_version(version) == numbers


def test_app_version_prints_what_the_build_tools_need(
    packaging_modules: dict[str, ModuleType], capsys: pytest.CaptureFixture[str]
) -> None:
    app_version = packaging_modules["app_version"]
    assert app_version.main([]) == 0
    assert capsys.readouterr().out == lookalike.__version__ + "\n"
    assert app_version.main(["--numeric"]) == 0
    numbers = capsys.readouterr().out.strip().split(".")
    assert len(numbers) == 4 and all(number.isdigit() for number in numbers)
    assert lookalike.__version__.startswith(".".join(numbers[:2]))
    assert app_version.main(["--bogus"]) == 2
    assert "usage" in capsys.readouterr().err


# --- icons ------------------------------------------------------------------------------------


def test_the_icon_source_is_the_apps_window_icon() -> None:
    source = REPO / "resources" / "lookalike-icon.svg"
    assert source.read_bytes() == (REPO / "gui" / "lookalike" / "resources" /
                                   "lookalike-icon.svg").read_bytes()


def test_every_icon_file_has_the_sizes_it_promises(
    packaging_modules: dict[str, ModuleType],
) -> None:
    make_icons = packaging_modules["make_icons"]
    for size in make_icons.PNG_SIZES:
        with Image.open(ICONS / f"lookalike-{size}.png") as png:
            assert png.size == (size, size) and png.mode == "RGBA"
    with Image.open(ICONS / "lookalike.ico") as ico:
        assert set(ico.info["sizes"]) == {(s, s) for s in make_icons.ICO_SIZES}
    with Image.open(ICONS / "lookalike.icns") as icns:
        assert icns.size == (1024, 1024)  # Pillow opens the largest
        # Pixel sizes of the 1x and 2x (Retina) entries: 16 and 32 points come as 2x only.
        pixels = {w * scale for w, _h, scale in icns.info["sizes"]}
        assert pixels == {32, 64, 128, 256, 512, 1024}


def test_make_icons_reproduces_the_committed_icons(tmp_path: Path) -> None:
    # A subprocess: make_icons makes a QGuiApplication, and this test process may need a
    # QApplication later.
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    subprocess.run([sys.executable, str(PACKAGING / "make_icons.py"), "--out", str(tmp_path)],
                   check=True, env=env, capture_output=True, timeout=120)
    made = sorted(path.name for path in tmp_path.iterdir())
    assert made == sorted(path.name for path in ICONS.iterdir())
    for name in made:
        if not name.endswith(".png"):
            continue
        with Image.open(tmp_path / name) as new, Image.open(ICONS / name) as committed:
            # Qt's rasterizer may round an edge pixel differently between builds; no more.
            diff = [abs(a - b) for a, b in zip(new.tobytes(), committed.tobytes(), strict=True)]
            assert max(diff) <= 2, f"{name} no longer matches resources/lookalike-icon.svg"


def test_installers_name_icons_that_exist() -> None:
    named = set(re.findall(r'ICONS / "([^"]+)"', spec_text()))
    assert named == {"lookalike.ico", "lookalike.icns"}
    assert all((ICONS / name).is_file() for name in named)
    setup_icon = iss_setup_value("SetupIconFile")
    assert (ISS.parent / setup_icon.replace("\\", "/")).resolve() == ICONS / "lookalike.ico"
    dmg_settings = (PACKAGING / "macos" / "dmg_settings.py").read_text(encoding="utf-8")
    assert '"resources/icons/lookalike.icns"' in dmg_settings
    # The tarball installs the PNGs under the name the .desktop file asks for.
    assert "apps/lookalike.png" in (PACKAGING / "build_linux.sh").read_text(encoding="utf-8")


def test_dmg_settings_lay_out_the_app_it_is_given() -> None:
    settings_file = PACKAGING / "macos" / "dmg_settings.py"
    settings: dict[str, Any] = {"defines": {"app": "/tmp/out/Lookalike.app"}}
    exec(compile(settings_file.read_text(encoding="utf-8"), str(settings_file), "exec"), settings)
    assert settings["files"] == ["/tmp/out/Lookalike.app"]
    assert settings["symlinks"] == {"Applications": "/Applications"}
    assert set(settings["icon_locations"]) == {"Lookalike.app", "Applications"}
    assert (REPO / settings["icon"]).is_file()
    assert spec_constant("APP_NAME") + ".app" == "Lookalike.app"


# --- the .desktop file ------------------------------------------------------------------------


def test_desktop_entry_starts_the_executable_the_spec_builds() -> None:
    entry = read_desktop_entry()
    exe_name = spec_constant("EXE_NAME")
    assert entry["Type"] == "Application"
    assert entry["Exec"].split()[0] == exe_name
    assert entry["TryExec"] == exe_name
    assert entry["Icon"] == "lookalike" and (ICONS / "lookalike-256.png").is_file()
    # Window managers match windows to the entry through the desktop file name the app sets.
    app_source = (REPO / "gui" / "lookalike" / "ui" / "app.py").read_text(encoding="utf-8")
    assert f'setDesktopFileName("{DESKTOP.stem}")' in app_source
    assert entry["StartupWMClass"] == DESKTOP.stem


def test_desktop_entry_passes_desktop_file_validate() -> None:
    validate = shutil.which("desktop-file-validate")
    if validate is None:
        pytest.skip("desktop-file-validate is not installed (Debian: desktop-file-utils)")
    result = subprocess.run([validate, str(DESKTOP)], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


# --- the Windows installer --------------------------------------------------------------------


def test_inno_setup_installs_per_user_with_the_specs_executable() -> None:
    sections = iss_sections()
    assert iss_setup_value("PrivilegesRequired") == "lowest"
    assert iss_setup_value("DefaultDirName").startswith("{autopf}\\")
    exe_define = re.search(r'#define ExeName "([^"]+)"', ISS.read_text(encoding="utf-8"))
    assert exe_define and exe_define.group(1) == spec_constant("EXE_NAME") + ".exe"
    icons = sections["Icons"]
    assert any(line.startswith('Name: "{autoprograms}') for line in icons)
    desktop = [line for line in icons if line.startswith('Name: "{autodesktop}')]
    assert len(desktop) == 1 and "Tasks: desktopicon" in desktop[0]
    task = next(line for line in sections["Tasks"] if line.startswith('Name: "desktopicon"'))
    assert "Flags: unchecked" in task  # the desktop shortcut is optional and off by default


def test_inno_setup_keeps_the_users_data_unless_asked() -> None:
    code = "\n".join(iss_sections()["Code"])
    ask = re.search(r"SuppressibleMsgBox\((.*?)\) = IDYES then\s+RemoveUserData\(\);", code,
                    re.DOTALL)
    assert ask, "user data must be removed only after a Yes"
    # No is the default button and the answer in a silent uninstall.
    assert "MB_DEFBUTTON2" in ask.group(1) and ask.group(1).rstrip().endswith("IDNO")
    assert code.count("RemoveUserData()") == 2  # its definition and that one call
    assert "DelTree" not in code.split("procedure CurUninstallStepChanged")[1]


# --- what the spec leaves out -----------------------------------------------------------------


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/Qt/lib/libQt6Gui.so.6", "PySide6/Qt/lib/libQt6Widgets.so.6",
        "PySide6/Qt/lib/libQt6Svg.so.6", "PySide6/Qt/lib/libQt6DBus.so.6",
        "PySide6/Qt/lib/libQt6XcbQpa.so.6", "PySide6/Qt/lib/libicudata.so.73",
        "PySide6/Qt6Core.dll", "PySide6/Qt/lib/QtGui.framework/Versions/A/QtGui",
        "PySide6/Qt/plugins/platforms/libqxcb.so", "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/plugins/platforms/qwindows.dll", "PySide6/Qt/plugins/platforms/libqcocoa.dylib",
        "PySide6/Qt/plugins/imageformats/libqjpeg.so",
        "PySide6/Qt/plugins/iconengines/libqsvgicon.so",
        "PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so",
        "PySide6/Qt/translations/qtbase_de.qm", "cv2/cv2.abi3.so", "libpython3.11.so.1.0",
    ],
)
def test_spec_keeps_what_the_app_needs(dest: str) -> None:
    assert spec_drop_reason()(dest) is None


@pytest.mark.parametrize(
    ("dest", "reason"),
    [
        ("PySide6/Qt/lib/libQt6Quick.so.6", "Qt library"),
        ("PySide6/Qt/lib/libQt6Qml.so.6", "Qt library"),
        ("PySide6/Qt6Network.dll", "Qt library"),
        ("PySide6/Qt/lib/QtWebEngineCore.framework/Versions/A/QtWebEngineCore", "Qt library"),
        ("PySide6/Qt/lib/libQt6EglFsKmsSupport.so.6", "Qt library"),
        ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", "platform theme"),
        ("PySide6/Qt/plugins/platforms/libqwayland.so", "platform"),
        ("PySide6/Qt/plugins/sqldrivers/libqsqlite.so", "plugin type"),
        ("PySide6/Qt/plugins/tls/libqopensslbackend.so", "plugin type"),
        ("PySide6/Qt/qml/QtQuick/Controls/qmldir", "QML"),
        ("PySide6/Qt/translations/qtbase_ko.qm", "translation"),
        ("PySide6/Qt/translations/qtdeclarative_de.qm", "translation"),
        ("PySide6/opengl32sw.dll", "unused"),
    ],
)
def test_spec_drops_what_the_app_does_not_use(dest: str, reason: str) -> None:
    why = spec_drop_reason()(dest)
    assert why is not None and why.startswith(reason), why


def test_spec_excludes_no_module_the_app_imports() -> None:
    excluded = set(spec_constant("EXCLUDED_MODULES"))
    imported: set[str] = set()
    for path in (REPO / "gui" / "lookalike").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module)
    clashes = {name for name in imported
               if any(name == ex or name.startswith(ex + ".") for ex in excluded)}
    assert not clashes, f"the spec excludes modules the app imports: {sorted(clashes)}"


def numpy_openblas() -> Path:
    """numpy's OpenBLAS from its wheel: a library auditwheel rewrote with patchelf."""
    import numpy

    found = sorted((Path(numpy.__file__).parent.parent / "numpy.libs").glob("*openblas*.so*"))
    if not found or not sys.platform.startswith("linux"):
        pytest.skip("no numpy.libs OpenBLAS here (not a Linux manylinux wheel)")
    return found[0]


def test_spec_refuses_stripped_copies_the_loader_cannot_map(tmp_path: Path) -> None:
    strip = shutil.which("strip")
    if strip is None:
        pytest.skip("strip is not installed")
    misaligned = spec_function("load_segments_misaligned", Path=Path)
    original = tmp_path / "original.so"
    shutil.copyfile(numpy_openblas(), original)
    stripped = tmp_path / "stripped.so"
    shutil.copyfile(original, stripped)
    subprocess.run([strip, "--strip-unneeded", str(stripped)], check=True)

    assert misaligned(original) is False
    # binutils' strip moves the segments patchelf added: glibc refuses such a file (numpy then
    # fails with "ELF load command address/offset not page-aligned"), so the spec keeps the
    # original. If a newer strip ever gets this right, the check lets the smaller copy through.
    loads = subprocess.run([sys.executable, "-c", f"import ctypes; ctypes.CDLL({str(stripped)!r})"],
                           capture_output=True, text=True, timeout=60, check=False)
    assert misaligned(stripped) is ("not page-aligned" in loads.stderr)


def test_spec_keeps_the_original_of_a_file_it_cannot_read(tmp_path: Path) -> None:
    misaligned = spec_function("load_segments_misaligned", Path=Path)
    not_elf = tmp_path / "script.so"
    not_elf.write_bytes(b"#!/bin/sh\necho not a library\n" + bytes(64))
    assert misaligned(not_elf) is True
    assert misaligned(Path(sys.executable).resolve()) is False


def test_spec_stops_a_build_with_the_stock_opencv_when_asked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    check = spec_function("check_opencv_is_small", os=os)
    small = [("cv2/cv2.abi3.so", "/x/cv2/cv2.abi3.so", "EXTENSION")]
    stock = [*small, ("opencv_python_headless.libs/libavcodec-e863e0e1.so.63",
                      "/x/libavcodec.so", "BINARY")]
    monkeypatch.setenv("LOOKALIKE_SMALL_OPENCV", "1")
    check(small)
    with pytest.raises(SystemExit, match=re.escape("1 libraries in opencv_python_headless.libs")):
        check(stock)
    monkeypatch.delenv("LOOKALIKE_SMALL_OPENCV")
    check(stock)
    assert "building anyway" in capsys.readouterr().out


# --- the small OpenCV -------------------------------------------------------------------------


def test_small_opencv_builds_only_the_modules_the_engine_needs(
    packaging_modules: dict[str, ModuleType],
) -> None:
    build_opencv = packaging_modules["build_opencv"]
    args = build_opencv.cmake_args("linux", "x86_64")
    assert "-DBUILD_LIST=core,imgproc,features,flann,geometry,python3" in args
    for heavy in ("FFMPEG", "LAPACK", "OPENCL", "IPP", "JPEG", "PNG", "TBB"):
        assert f"-DWITH_{heavy}=OFF" in args
    assert "-DCMAKE_MODULE_LINKER_FLAGS=-s" in args
    # MSVC has no -s: only Linux strips at link time.
    assert not [arg for arg in build_opencv.cmake_args("win32", "AMD64") if arg.endswith("=-s")]
    assert "-DCPU_DISPATCH=AVX2" in args
    assert not [arg for arg in build_opencv.cmake_args("darwin", "arm64") if "DISPATCH" in arg]


def test_small_opencv_cache_key_changes_with_what_the_wheel_depends_on(
    packaging_modules: dict[str, ModuleType],
) -> None:
    key = packaging_modules["build_opencv"].cache_key
    args = ["-DBUILD_LIST=core", "-DWITH_IPP=OFF"]
    first = key("5.1.0.95", args, "cpython-311 linux-x86_64")
    assert first.startswith("5.1.0.95-")
    assert first == key("5.1.0.95", list(args), "cpython-311 linux-x86_64")
    assert first != key("5.1.0.96", args, "cpython-311 linux-x86_64")
    assert first != key("5.1.0.95", [*args, "-DWITH_TBB=OFF"], "cpython-311 linux-x86_64")
    assert first != key("5.1.0.95", args, "cpython-312 linux-x86_64")


def test_the_installed_opencv_has_every_name_the_app_uses(
    packaging_modules: dict[str, ModuleType],
) -> None:
    """After packaging/build_linux.sh (as in .ci/run) this checks the small build we ship."""
    build_opencv = packaging_modules["build_opencv"]
    names = build_opencv.names_the_app_uses()
    assert {"ORB", "BFMatcher", "findHomography", "USAC_ACCURATE", "warpPerspective"} <= names
    assert build_opencv.missing_names(sys.executable, names) == []
    assert build_opencv.missing_names(sys.executable, {"resize", "noSuchFunction"}) == [
        "noSuchFunction"
    ]


# --- the checker of frozen builds -------------------------------------------------------------


def fake_executable(tmp_path: Path, body: str) -> Path:
    """A stand-in for the frozen exe: a script that runs the given Python with the CLI's argv."""
    if sys.platform == "win32":
        pytest.skip("the stand-in executable is a POSIX script")
    exe = tmp_path / "lookalike"
    exe.write_text(f'#!/bin/sh\nexec "{sys.executable}" -c \'{body}\' "$@"\n', encoding="utf-8")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return exe


def test_check_frozen_passes_a_working_service(
    tmp_path: Path, packaging_modules: dict[str, ModuleType], caplog: pytest.LogCaptureFixture
) -> None:
    exe = fake_executable(
        tmp_path, "import sys; from lookalike.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    caplog.set_level("INFO", logger="check_frozen")
    assert packaging_modules["check_frozen"].main(["--skip-window", "--timeout", "60",
                                                   str(exe)]) == 0
    assert "PNG image: 800 features" in caplog.text and "HEIC image" in caplog.text
    assert "compare: an edited copy scores 100, another picture 0" in caplog.text


def test_check_frozen_fails_a_build_whose_opencv_cannot_fit_a_homography(
    tmp_path: Path, packaging_modules: dict[str, ModuleType], caplog: pytest.LogCaptureFixture
) -> None:
    exe = fake_executable(
        tmp_path,
        "import sys, cv2; del cv2.findHomography; "
        "from lookalike.cli import main; sys.exit(main(sys.argv[1:]))",
    )
    assert packaging_modules["check_frozen"].main(["--skip-window", "--timeout", "60",
                                                   str(exe)]) == 1
    assert "comparing two images failed" in caplog.text and "500" in caplog.text


def test_check_frozen_fails_a_build_whose_version_is_wrong(
    tmp_path: Path, packaging_modules: dict[str, ModuleType], caplog: pytest.LogCaptureFixture
) -> None:
    exe = fake_executable(tmp_path, 'print("lookalike 0.0.0-wrong")')
    assert packaging_modules["check_frozen"].main(["--skip-window", str(exe)]) == 1
    assert "lookalike 0.0.0-wrong" in caplog.text


def test_check_frozen_fails_a_service_that_never_gets_ready(
    tmp_path: Path, packaging_modules: dict[str, ModuleType], caplog: pytest.LogCaptureFixture
) -> None:
    version = lookalike.__version__
    exe = fake_executable(
        tmp_path,
        f'import sys; print("lookalike {version}") if "--version" in sys.argv else sys.exit(3)',
    )
    assert packaging_modules["check_frozen"].main(["--skip-window", "--timeout", "20",
                                                   str(exe)]) == 1
    assert "exited (code 3) before it was ready" in caplog.text


def test_packaging_shell_scripts_pass_shellcheck() -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed")
    scripts = [PACKAGING / "build_linux.sh", PACKAGING / "linux" / "install.sh",
               PACKAGING / "macos" / "build_macos.sh"]
    result = subprocess.run([shellcheck, *map(str, scripts)], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stdout
