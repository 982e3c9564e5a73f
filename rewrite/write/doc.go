// Package write is the final step: the only code that changes the user's
// files.
//
// In: FileEdits. Out: the files on disk, all or none: a lock per module
// root, a journal under .txscope/ so that an interrupted run is finished or
// rolled back by the next (Recover), temporary files synced before they are
// renamed into place, and a file edited by someone else since it was read
// left alone with an error. CheckClean refuses to overwrite uncommitted
// work.
package write
