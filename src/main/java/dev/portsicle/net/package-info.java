/** Plumbing both the relay and the agent use: event loops and transports, and backpressured forwarding. */
package dev.portsicle.net;
