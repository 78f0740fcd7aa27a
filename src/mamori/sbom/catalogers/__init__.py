"""One cataloger per module; each registers itself with `@catalogers.register(name)`."""
