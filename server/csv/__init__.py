"""The OneRoster CSV binding of the mock SIS: export a store as a bundle, import a bundle into it."""
