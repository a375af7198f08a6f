"""``python -m auditor`` is the same as the ``auditor`` command."""

import sys

from auditor.launch import main  # light: the app's first frame does not wait for pandas

sys.exit(main())
