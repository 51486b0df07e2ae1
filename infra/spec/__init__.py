"""Spec models: what a department asks for and what an environment offers."""
