"""Cloud collectors: gather resources through the providers' APIs into an Inventory."""
