"""Facts about the machine mamori runs on (capabilities for the sensor and scanners)."""
