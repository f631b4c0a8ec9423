"""Process supervision: `helpdesk up` starts, watches, warms up and stops the whole stack."""
