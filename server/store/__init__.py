"""The mock SIS's store: one table per entity holding each version's rendered document."""
