"""AWS: sessions, declarative resource types (resources/), and the collection runner."""
