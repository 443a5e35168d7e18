// Runs Jenkins shared-library steps outside Jenkins, for the end-to-end tests.
//
// groovy -cp <library>/src jenkins-pipeline-stubs.groovy <library dir> <cases.groovy> <result.json> <record|execute>
//
// Loads every <library>/vars/<step>.groovy as a global step (like Jenkins does) next to stubs of the
// pipeline steps the library uses (sh, bat, isUnix, withEnv, withCredentials, string, env, error,
// echo, libraryResource). <cases.groovy> evaluates to a map of case name -> closure; each case runs on its own and
// its step calls, outcome and error are written to <result.json>. In `execute` mode `sh` really
// runs its script with `sh -c`, in the environment withEnv/withCredentials built up.
// A case may set `shFailsWhen = { script, env -> boolean }` to make matching shell calls fail.
// Credentials come from the JSON object (credentialsId -> secret) in $STUB_CREDENTIALS_FILE.
import groovy.json.JsonOutput
import groovy.json.JsonSlurper

class StubAbortException extends IOException {
  StubAbortException(String message) { super(message) }
}

File library = new File(args[0])
File casesFile = new File(args[1])
File resultFile = new File(args[2])
boolean execute = args[3] == 'execute'

Map<String, String> credentials = System.getenv('STUB_CREDENTIALS_FILE') ?
  new JsonSlurper().parse(new File(System.getenv('STUB_CREDENTIALS_FILE'))) as Map<String, String> : [:]

List<Map> calls = []
List<List<String>> overlays = []
Map<String, String> pipelineEnv = [:]
Binding binding = new Binding()

Closure<Map<String, String>> currentOverlay = {
  Map<String, String> merged = [:]
  overlays.each { List<String> entries ->
    entries.each { String entry ->
      int eq = entry.indexOf('=')
      merged[entry.substring(0, eq)] = entry.substring(eq + 1)
    }
  }
  return merged
}

Closure<Object> withOverlay = { List<String> entries, Closure body ->
  overlays << entries
  try {
    return body()
  } finally {
    overlays.remove(overlays.size() - 1)
  }
}

binding.setVariable('env', pipelineEnv)
// A case may set `windowsAgent = true` to run on a Windows agent (bat instead of sh).
binding.setVariable('isUnix', { -> !(binding.hasVariable('windowsAgent') && binding.getVariable('windowsAgent')) })
binding.setVariable('echo', { Object message ->
  calls << [step: 'echo', message: message.toString()]
  println "[echo] ${message}"
})
binding.setVariable('error', { Object message ->
  calls << [step: 'error', message: message.toString()]
  throw new StubAbortException(message.toString())
})
binding.setVariable('string', { Map options -> [type: 'string'] + options })
// Like Jenkins: a file of the library's resources/ folder, as text.
binding.setVariable('libraryResource', { String path -> new File(library, "resources/${path}").getText('UTF-8') })
binding.setVariable('withEnv', { List entries, Closure body ->
  List<String> strings = entries.collect { it.toString() }
  calls << [step: 'withEnv', entries: strings]
  withOverlay(strings, body)
})
binding.setVariable('withCredentials', { List bindings, Closure body ->
  List<String> entries = bindings.collect { Map b ->
    if (b.type != 'string') throw new IllegalArgumentException("unsupported binding ${b.type}")
    String secret = credentials[b.credentialsId as String]
    if (secret == null) throw new StubAbortException("Could not find credentials entry with ID '${b.credentialsId}'")
    "${b.variable}=${secret}".toString()
  }
  calls << [step: 'withCredentials', bindings: bindings.collect { [type: it.type, credentialsId: it.credentialsId, variable: it.variable] }]
  withOverlay(entries, body)
})
Closure shell = { String stepName, Object arg ->
  String script = arg instanceof Map ? arg.script.toString() : arg.toString()
  Map<String, String> overlay = currentOverlay()
  calls << [step: stepName, script: script, env: overlay]
  // A case can make recorded shell calls fail: shFailsWhen = { script, env -> ... }
  if (binding.hasVariable('shFailsWhen') && binding.getVariable('shFailsWhen')?.call(script, overlay)) {
    calls[-1].status = 1
    throw new StubAbortException('script returned exit code 1')
  }
  if (!execute) return 0
  ProcessBuilder builder = new ProcessBuilder('sh', '-c', script).redirectErrorStream(true)
  builder.environment().putAll(overlay)
  Process process = builder.start()
  String output = process.inputStream.getText('UTF-8')
  int status = process.waitFor()
  calls[-1].output = output
  calls[-1].status = status
  print output
  if (status != 0 && !(arg instanceof Map && arg.returnStatus)) {
    throw new StubAbortException("script returned exit code ${status}")
  }
  return status
}
binding.setVariable('sh', { Object arg -> shell('sh', arg) })
binding.setVariable('bat', { Object arg -> shell('bat', arg) })

GroovyShell groovyShell = new GroovyShell(this.class.classLoader, binding)
new File(library, 'vars').listFiles().findAll { it.name.endsWith('.groovy') }.sort { it.name }.each { File file ->
  Script step = groovyShell.parse(file)
  step.binding = binding
  binding.setVariable(file.name - '.groovy', { Object... stepArgs -> step.invokeMethod('call', stepArgs) })
}

Map<String, Closure> cases = groovyShell.evaluate(casesFile) as Map<String, Closure>
Map<String, Map> results = [:]
cases.each { String name, Closure body ->
  calls = []
  overlays.clear()
  binding.setVariable('shFailsWhen', null)
  binding.setVariable('windowsAgent', false)
  Map result = [outcome: 'ok']
  try {
    def value = body()
    result.value = value == null ? null : value.toString()
  } catch (Throwable thrown) {
    result.outcome = 'threw'
    result.errorClass = thrown.class.name
    result.error = thrown.message
  }
  result.calls = calls
  results[name] = result
}
resultFile.text = JsonOutput.prettyPrint(JsonOutput.toJson(results))
