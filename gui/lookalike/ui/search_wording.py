"""What the status bar and an empty grid say about a search, in the user's words.

Kept apart from the controller so the wording can be read (and tested) in one place: how many
images, for which tags or like which image, at which similarity; why a grid is empty and what to
try next. At threshold 0 the engine still returns only its matches, so "N matching images" is said
rather than "at 0 % or more", which would promise the whole library.
"""

from __future__ import annotations

from pathlib import Path

from lookalike.ui.result_filter import SearchQuery


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def what(query: SearchQuery) -> str:
    """"for calla or fish", "like goldfish.png": what the results answer."""
    if query.image_path is not None:
        return f"like {Path(query.image_path).name}"
    joiner = " and " if query.match_all else " or "
    return "for " + joiner.join(query.tags)


def result_status(count: int, query: SearchQuery) -> str:
    """"7 images like goldfish.png at 10 % or more"; "6 matching images for calla" at 0."""
    if query.threshold <= 0:
        noun = "matching image" if count == 1 else "matching images"
        return f"{count} {noun} {what(query)}"
    return f"{plural(count, 'image')} {what(query)} at {query.threshold} % or more"


def names_list(names: tuple[str, ...] | list[str]) -> str:
    return " or ".join(names)


def unknown_tags_text(unknown: tuple[str, ...] | list[str]) -> str:
    """"No tag named zzz", "No tags named zzz or yyy"."""
    label = "No tag named" if len(unknown) == 1 else "No tags named"
    return f"{label} {names_list(unknown)}"


def unknown_tags_status(unknown: tuple[str, ...], match_all: bool, searched_any: bool) -> str:
    """The status line when some (or all) of the typed names are not tags."""
    text = unknown_tags_text(unknown)
    if match_all:
        return f"{text}, so no image has all of these tags"
    if not searched_any:
        return f"{text}: nothing to search"
    return text


def unknown_tags_placeholder(unknown: tuple[str, ...], match_all: bool) -> str:
    """What an empty grid says when typed names are not tags."""
    text = unknown_tags_text(unknown)
    if match_all:
        return (f"{text}, so no image has all of these tags.\n"
                "Check the spelling, or choose \"any tag\".")
    return (f"{text}.\nCheck the spelling, or make a new tag: drop an image on "
            "\"New tag…\" in the sidebar.")


def similarity_hint(query: SearchQuery) -> str:
    return " at any similarity" if query.threshold <= 0 else f" at {query.threshold} % or more"


def no_results_placeholder(query: SearchQuery, tags_without_references: list[str]) -> str:
    """Why the search found nothing, and what to try."""
    lower = "" if query.threshold <= 0 else " or a lower similarity"
    if query.image_path is not None:
        name = Path(query.image_path).name
        return (f"No image looks like {name}{similarity_hint(query)}.\n"
                f"Try another picture{lower}.")
    if tags_without_references and len(tags_without_references) == len(query.tags):
        names = names_list(tags_without_references)
        return (f"{names} has no reference images yet.\n"
                "Drop images on the tag in the sidebar to add some.")
    if query.match_all and len(query.tags) > 1:
        return (f"No image matches all of these tags{similarity_hint(query)}.\n"
                f"Try \"any tag\"{lower}.")
    return (f"No image looks like the reference images of {names_list(query.tags)}"
            f"{similarity_hint(query)}.\n"
            f"Try a larger or less cropped reference image{lower}.")


def failed_placeholder() -> str:
    return "The search failed; the status bar below says why.\nPress Search to try again."


def empty_library_placeholder() -> str:
    return ("No images in the library's folders yet.\n"
            "Add a folder with File > Add folder…, or drop one here.")
