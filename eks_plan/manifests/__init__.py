"""Reading Kubernetes manifests: files, YAML positions, quantities, and the workload model."""
