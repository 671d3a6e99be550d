// Package usertest gives tests a second, real local user: one created with
// useradd for the test and deleted with userdel at its cleanup. Tests that
// prove a refusal across users (a socket or a tmux server owned by someone
// else) use it; only test files import it.
package usertest
