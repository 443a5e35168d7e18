package org.versioner.jenkins

import groovy.json.JsonOutput

/**
 * Runs the versioner CLI from a pipeline. Every value travels through the environment
 * (withEnv / withCredentials) and the shell string is a constant, so nothing a user passes,
 * and never the API key, is interpolated into a shell command.
 */
class VersionerCli implements Serializable {
  private static final long serialVersionUID = 1L

  /** Step option -> environment variable read by the CLI. */
  static final Map<String, String> OPTIONS = [
    apiUrl        : 'VERSIONER_API_URL',
    productName   : 'VERSIONER_PRODUCT_NAME',
    version       : 'VERSIONER_VERSION',
    environment   : 'VERSIONER_ENVIRONMENT',
    status        : 'VERSIONER_STATUS',
    metadata      : 'VERSIONER_METADATA',
    failOnApiError: 'VERSIONER_FAIL_ON_API_ERROR',
  ]
  static final List<String> OTHER_OPTIONS = ['credentialsId', 'cli']

  private final def steps

  VersionerCli(def steps) {
    this.steps = steps
  }

  /** The CLI loader (packages/cli/loader/fetch-cli.mjs, copied by scripts/sync-cli-loader.mjs). */
  static final String LOADER_RESOURCE = 'org/versioner/jenkins/fetch-cli.mjs'

  /** `versioner track <kind>` with the options of a versionerTrack* step. */
  void track(String stepName, String kind, Map config) {
    check(stepName, config, kind == 'deployment' ? ['environment'] : [])
    List<String> env = environmentFor(config)
    boolean unix = steps.isUnix()
    // Without a `cli` option the collector's own CLI is fetched, checked against its checksum and run.
    if (!config.cli) {
      String loader = steps.libraryResource(LOADER_RESOURCE)
      // cmd.exe cannot take a line break inside an argument; the loader is written to be joined.
      env << "VERSIONER_CLI_LOADER=${unix ? loader : loader.readLines().join(' ')}".toString()
    }
    steps.withEnv(env) {
      withApiKey(config) {
        if (unix) {
          // sh runs with -x: tracing would print the whole expanded loader into the build log.
          String quiet = config.cli ? '' : 'set +x; '
          steps.sh(quiet + shellCommand(config, kind, '"\$VERSIONER_CLI_LOADER"', '\$VERSIONER_CLI'))
        } else {
          steps.bat(shellCommand(config, kind, '"%VERSIONER_CLI_LOADER%"', '%VERSIONER_CLI%'))
        }
      }
    }
  }

  /** The constant shell string: values only ever reach the shell as variables. */
  static String shellCommand(Map config, String kind, String loaderVariable, String cliVariable) {
    String command = config.cli ? cliVariable : "node --input-type=module -e ${loaderVariable} --"
    return "${command} track ${kind}".toString()
  }

  /** The withEnv list: options that were given, plus the `cli` command when one was given. */
  static List<String> environmentFor(Map config) {
    List<String> env = []
    OPTIONS.each { String option, String variable ->
      def value = config[option]
      if (value != null && value.toString() != '') {
        env << "${variable}=${asText(value)}".toString()
      }
    }
    if (config.cli) {
      env << "VERSIONER_CLI=${config.cli}".toString()
    }
    return env
  }

  static String asText(def value) {
    if (value instanceof Map || value instanceof List) {
      return JsonOutput.toJson(value)
    }
    return value.toString()
  }

  void check(String stepName, Map config, List<String> required) {
    if (config.containsKey('apiKey')) {
      steps.error("${stepName}: apiKey is not an option; give credentialsId (a Secret text credential) " +
        'or set VERSIONER_API_KEY in the environment (environment { VERSIONER_API_KEY = credentials(...) })')
    }
    List<String> unknown = config.keySet().collect { it.toString() }.findAll {
      !OPTIONS.containsKey(it) && !OTHER_OPTIONS.contains(it)
    }
    if (unknown) {
      steps.error("${stepName}: unknown option(s) ${unknown.join(', ')}; see the step's help")
    }
    List<String> missing = required.findAll { config[it] == null || config[it].toString() == '' }
    if (missing) {
      steps.error("${stepName}: ${missing.join(', ')} is required")
    }
  }

  // Not private: CPS-transformed closures cannot always reach private methods.
  void withApiKey(Map config, Closure body) {
    if (config.credentialsId) {
      steps.withCredentials([steps.string(credentialsId: config.credentialsId, variable: 'VERSIONER_API_KEY')]) {
        body()
      }
    } else {
      body()
    }
  }
}
