"""Every read of the surveillance app, always through shouwang.core.scoping."""
