/** The command line: parses options, starts a relay or an agent, prints what the user needs. */
package dev.portsicle.cli;
