"""AWS checks: one folder per check, named by its id (<service>_<resource>_<practice>)."""
