"""The mock SIS's web console (`rosterlab serve --console`): browse, change time, switch behaviour, see clients."""
