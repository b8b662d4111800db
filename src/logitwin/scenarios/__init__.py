"""logitwin.scenarios"""
