// `webdlbench survey` probe: loaded after a framework's bundle and adapter on the ordinary page,
// as the job's pseudo-framework "__survey" (job kind "env"), so the harness awaits init() and
// posts what it returns in the result's info. The introspection itself is the framework's own:
// its adapter's describe(job) (frameworks/<name>/adapter.js), which states its counting rule in
// every answer ("method"), as docs/frameworks.md lists them.
'use strict';
(() => {
  const errorText = (error) => (error && error.message ? error.message : String(error));

  window.webdlbench.adapters.__survey = {
    version: () => 'survey-probe',

    async init(job) {
      const name = job.survey.framework;
      const adapter = window.webdlbench.adapters[name];
      const out = { framework: name, adapter_registered: Boolean(adapter), adapter_version: null };
      if (adapter) {
        try {
          out.adapter_version = adapter.version();
        } catch (error) {
          out.adapter_version_error = errorText(error);
        }
      }
      try {
        if (adapter && typeof adapter.describe === 'function') {
          out.describe = await adapter.describe(job);
          out.describe_source = `frameworks/${name}/adapter.js describe()`;
          if (!out.describe) out.describe_reason = `the ${name} adapter's describe() found nothing to introspect`;
        } else {
          out.describe = null;
          out.describe_reason = `no introspection for ${name}: its adapter has no describe()`;
        }
      } catch (error) {
        out.describe = null;
        out.describe_reason = `introspection failed: ${errorText(error)}`;
      }
      return { survey: out };
    },
  };
})();
