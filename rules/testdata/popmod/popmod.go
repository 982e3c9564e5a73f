// Package popmod pins the real gobuffalo/pop, Buffalo and buffalo-pop
// modules for the rules tests that read their types (TestPopMethodTable);
// they are not dependencies of txscope itself.
package popmod

import (
	_ "github.com/gobuffalo/buffalo"
	_ "github.com/gobuffalo/buffalo-pop/v3/pop/popmw"
	_ "github.com/gobuffalo/pop/v6"
)
