"""What changed, and when: every source on one time axis (stack, journal, health, uplinks, silent
devices, RDS, ElastiCache, EC2, the audit log), the health history the console keeps, and the
hand-over report."""
