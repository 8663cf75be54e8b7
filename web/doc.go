// Package web is the browser interface of automl: it lists experiments,
// uploads data, starts and stops searches, shows their progress live and
// serves trial pages and downloads, all read from the experiment store.
package web
