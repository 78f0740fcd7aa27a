"""Where bytes come from: directories, image archives, OCI layouts, registries, SBOMs."""

from mamori.sources.directory import HOST_SKIP, DirectoryTree
from mamori.sources.tree import EntryKind, FileEntry, Tree, TreeError, normalize

__all__ = ["HOST_SKIP", "DirectoryTree", "EntryKind", "FileEntry", "Tree", "TreeError", "normalize"]
