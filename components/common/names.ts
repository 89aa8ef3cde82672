// Kubernetes object names, checked where they enter a rendered file or a CEL literal.

/** An RFC 1123 label: a namespace's name (lower-case letters, digits and '-', at most 63). */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
