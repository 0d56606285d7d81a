package main

// demoSmsrOid is the SM-SR object id of the source document's example request.
const demoSmsrOid = "1.3.6.1.4.1.31746.1.500.200.101.5"

// demoScenario is the simulator scenario beside the demo configuration: the account's fleet and
// how its devices answer (at once, and one with a warning first).
const demoScenario = demoDir + "/scenario.json"
