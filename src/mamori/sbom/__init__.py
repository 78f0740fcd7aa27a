"""Software bills of materials: catalogers per ecosystem and the driver that runs them."""
