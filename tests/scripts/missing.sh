#!/nonexistent/sh
