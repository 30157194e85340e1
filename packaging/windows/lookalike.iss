; Inno Setup 6 script: Lookalike's Windows installer, per user (no administrator rights needed).
;
; Build the app first (pyinstaller --noconfirm --clean packaging/lookalike.spec), then:
;
;   iscc /DAppVersion=0.1.0 packaging\windows\lookalike.iss
;
; AppVersion is the version the build read from gui/lookalike/__init__.py (python
; packaging/app_version.py prints it); without it, the version is read from the built
; lookalike.exe, which PyInstaller stamped with the same version. DistDir (the PyInstaller output
; folder) and OutputDir can be overridden the same way. The installers workflow does all this.
;
; Uninstalling removes the program and its shortcuts. It keeps the user's library (tags,
; references, the search index) and settings unless the user answers Yes to removing them too;
; a silent uninstall always keeps them. The images themselves are never touched.

#define AppName "Lookalike"
#define ExeName "lookalike.exe"
#ifndef DistDir
  #define DistDir "..\..\dist\lookalike"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\build\installers"
#endif
#ifndef AppVersion
  #define AppVersion GetStringFileInfo(AddBackslash(DistDir) + ExeName, "ProductVersion")
#endif
#if AppVersion == ""
  #error No version: pass /DAppVersion=... or build dist\lookalike\lookalike.exe first
#endif
; Windows wants four numbers in the setup program's own version resource (0.2.0rc1 -> 0.2.0.0).
#ifndef AppNumericVersion
  #define AppNumericVersion GetVersionNumbersString(AddBackslash(DistDir) + ExeName)
#endif

[Setup]
; The AppId identifies the installation for upgrades and the uninstaller: never change it.
AppId={{6623A9F4-092E-4590-ACCD-0A63D781E8C7}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Lookalike contributors
VersionInfoVersion={#AppNumericVersion}
; Per user: installs under %LOCALAPPDATA%\Programs, with no elevation prompt.
PrivilegesRequired=lowest
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
SetupIconFile=..\..\resources\icons\lookalike.ico
UninstallDisplayIcon={app}\{#ExeName}
UninstallDisplayName={#AppName}
OutputDir={#OutputDir}
OutputBaseFilename=Lookalike-{#AppVersion}-windows-x64-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; A running Lookalike (and the service it started) holds files open: offer to close it.
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#DistDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#ExeName}"; WorkingDir: "{app}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#ExeName}"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#ExeName}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[Code]
{ Where the app keeps the user's things (see lookalike.ui.app.default_paths and QSettings):
  %LOCALAPPDATA%\Lookalike holds the library, the service's search index, the cache and the logs;
  %APPDATA%\Lookalike holds the settings file. The cloud secret, if any, is in the Windows
  Credential Manager under "Lookalike Aspose Cloud" and stays there. }
procedure RemoveUserData();
begin
  DelTree(ExpandConstant('{localappdata}\{#AppName}'), True, True, True);
  DelTree(ExpandConstant('{userappdata}\{#AppName}'), True, True, True);
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if CurUninstallStep <> usPostUninstall then
    exit;
  { Default and silent answer: No, keep the library and settings. }
  if SuppressibleMsgBox(
       'Lookalike has been removed.' + #13#10#13#10 +
       'Do you also want to remove your Lookalike library (tags, references and the search ' +
       'index) and your settings? Your images themselves are not touched.' + #13#10#13#10 +
       'Choose No to keep them for a later installation.',
       mbConfirmation, MB_YESNO or MB_DEFBUTTON2, IDNO) = IDYES then
    RemoveUserData();
end;
