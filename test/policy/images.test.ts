import { container, cronJob, deployment, itReports, withInit, withPod } from "./fixtures";

const web = deployment("web");
const backup = cronJob("backup");
const DIGEST = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

describe("image policies", () => {
  describe("image-tag-pinned", () => {
    itReports("image-tag-pinned", [
      {
        name: "allows version tags, registry ports and digests",
        resources: [
          withPod(web, (spec) => {
            spec.containers[0].image = "registry.local:5000/acme/web:2.0.1";
            spec.initContainers = [{ ...container("init"), image: `ghcr.io/acme/migrate@${DIGEST}` }];
          }),
        ],
        expected: [],
      },
      { name: "flags the latest tag", resources: [withPod(web, (spec) => (spec.containers[0].image = "ghcr.io/acme/web:latest"))], expected: ['container "web" image "ghcr.io/acme/web:latest" uses the latest tag; pin a version tag or a digest (@sha256:…)'] },
      {
        name: "flags a missing tag on a registry with a port, in an init container",
        resources: [withInit(backup, (init) => (init.image = "registry.local:5000/acme/migrate"))],
        expected: ['init container "init" image "registry.local:5000/acme/migrate" has no tag; pin a version tag (migrate:<version>) or a digest (@sha256:…)'],
      },
    ]);
  });

  describe("image-registry-allowed", () => {
    const allowed = { allowedRegistries: ["ghcr.io/football-prediction"] };
    const hub = withPod(web, (spec) => (spec.containers[0].image = "nginx:1.27"));
    itReports("image-registry-allowed", [
      { name: "allows images from an allowed registry", config: allowed, resources: [web], expected: [] },
      { name: "allows any registry when none is configured", resources: [hub], expected: [] },
      { name: "flags a Docker Hub image", config: allowed, resources: [hub], expected: ['container "web" image "nginx:1.27" is not from an allowed registry; use an image from "ghcr.io/football-prediction"'] },
      {
        name: "flags a look-alike organisation",
        config: allowed,
        resources: [withPod(web, (spec) => (spec.containers[0].image = "ghcr.io/football-prediction-mirror/service:1.4.2"))],
        expected: ['container "web" image "ghcr.io/football-prediction-mirror/service:1.4.2" is not from an allowed registry; use an image from "ghcr.io/football-prediction"'],
      },
    ]);
  });

  describe("image-pull-policy", () => {
    itReports("image-pull-policy", [
      { name: "allows a tag pulled Always", resources: [web], expected: [] },
      {
        name: "allows a digest pulled IfNotPresent, and latest or no tag, which the kubelet pulls Always by default",
        resources: [
          withPod(web, (spec) => {
            spec.containers[0].image = `ghcr.io/acme/web@${DIGEST}`;
            spec.containers[0].imagePullPolicy = "IfNotPresent";
            spec.initContainers = [{ ...container("init"), image: "ghcr.io/acme/init", imagePullPolicy: undefined }];
          }),
        ],
        expected: [],
      },
      {
        name: "flags a tag without a pull policy, which defaults to IfNotPresent",
        resources: [withPod(web, (spec) => delete spec.containers[0].imagePullPolicy)],
        expected: ['container "web" pulls the mutable tag "ghcr.io/football-prediction/service:1.4.2" with imagePullPolicy IfNotPresent (the default); set imagePullPolicy: Always or pin the image by digest'],
      },
      {
        name: "flags a tag pulled Never in a CronJob's init container",
        resources: [withInit(backup, (init) => (init.imagePullPolicy = "Never"))],
        expected: ['init container "init" pulls the mutable tag "ghcr.io/football-prediction/service:1.4.2" with imagePullPolicy Never; set imagePullPolicy: Always or pin the image by digest'],
      },
    ]);
  });
});
