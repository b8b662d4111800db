"""logitwin.actors"""
