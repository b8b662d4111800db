"""logitwin.control"""
