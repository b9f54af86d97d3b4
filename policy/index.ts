// Entry point the Pulumi CLI runs for `--policy-pack policy`. Constructing the PolicyPack starts the policy
// server, so nothing else may import this module; the policies themselves live in ./pack.
import { PolicyPack } from "@pulumi/policy";
import { packEnforcementLevel, packName, policies } from "./pack";

new PolicyPack(packName, {
  description: "Pod Security Standards (restricted), workload hygiene, network exposure, RBAC, availability and monitoring rules for Kubernetes resources",
  enforcementLevel: packEnforcementLevel,
  policies,
});
