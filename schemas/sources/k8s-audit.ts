import { z } from 'zod';

// audit.k8s.io/v1 Event (also v1beta1 and the older apiVersion-less form), one JSON
// object per line. https://kubernetes.io/docs/reference/config-api/apiserver-audit.v1/
// Fields are optional because stage and audit level decide what is present; unknown
// fields are kept (loose objects) so evidence shows the line as it was.
// `code` is an HTTP status, so an integer: a fractional code is a SHAPE error, not an event.

const strings = z.array(z.string());

export const K8sUserInfo = z.looseObject({
  username: z.string().optional(),
  uid: z.string().optional(),
  groups: strings.nullish(),
  extra: z.record(z.string(), z.union([strings, z.string()])).nullish(),
});

export const K8sObjectRef = z.looseObject({
  resource: z.string().optional(),
  namespace: z.string().optional(),
  name: z.string().optional(),
  uid: z.string().optional(),
  apiGroup: z.string().optional(),
  apiVersion: z.string().optional(),
  subresource: z.string().optional(),
  resourceVersion: z.string().optional(),
});

export const K8sAuditEvent = z
  .looseObject({
    apiVersion: z.string().optional(),
    kind: z.string().optional(),
    level: z.string().optional(),
    auditID: z.string().min(1),
    stage: z.string().min(1),
    requestURI: z.string().optional(),
    verb: z.string().min(1),
    user: K8sUserInfo.optional(),
    impersonatedUser: K8sUserInfo.nullish(),
    sourceIPs: strings.nullish(),
    userAgent: z.string().optional(),
    objectRef: K8sObjectRef.nullish(),
    responseStatus: z
      .looseObject({ code: z.number().int().optional(), message: z.string().optional(), reason: z.string().optional(), status: z.string().optional() })
      .nullish(),
    requestObject: z.unknown().optional(),
    responseObject: z.unknown().optional(),
    requestReceivedTimestamp: z.string().optional(),
    stageTimestamp: z.string().optional(),
    timestamp: z.string().optional(),
    annotations: z.record(z.string(), z.string()).nullish(),
  })
  .describe('A Kubernetes API audit event (audit.k8s.io/v1 Event)');
export type K8sAuditEvent = z.infer<typeof K8sAuditEvent>;
