"""Channel adapters: each folder translates one provider's wire format to and from the shared flow."""
