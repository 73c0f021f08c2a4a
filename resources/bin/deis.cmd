@echo off
rem The `deis` command of Deis Desktop on Windows: runs the CLI bundle through deis.cjs next to this file.
setlocal
node "%~dp0deis.cjs" %*
exit /b %ERRORLEVEL%
