"""The Report (the contract every output and the gate read), its signature, and the reporters."""
