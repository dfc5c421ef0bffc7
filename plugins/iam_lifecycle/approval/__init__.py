"""A person's approval: the deployment's policy, the pages a person reads, the answers and their signed proof."""
