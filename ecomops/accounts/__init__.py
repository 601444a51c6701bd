"""Departments and roles (部门与角色): part of the shared kernel."""
