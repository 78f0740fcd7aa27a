"""Where bytes come from: directories, image archives, OCI layouts, registries, SBOMs."""

from mamori.sources.directory import HOST_SKIP, DirectoryTree
from mamori.sources.image import ImageTree, open_image
from mamori.sources.image_types import HistoryEntry, ImageError, ImageInfo, Limits
from mamori.sources.tree import EntryKind, FileEntry, Tree, TreeError, normalize

__all__ = [
    "HOST_SKIP",
    "DirectoryTree",
    "EntryKind",
    "FileEntry",
    "HistoryEntry",
    "ImageError",
    "ImageInfo",
    "ImageTree",
    "Limits",
    "Tree",
    "TreeError",
    "normalize",
    "open_image",
]
