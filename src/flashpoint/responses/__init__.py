"""Diplomatic responses: the lever catalogue, the evidence behind each lever, and recommendations."""
