@echo off
rem The `deis` command of Deis Desktop on Windows: runs main\cli\index.ts of this checkout.
setlocal
set "root=%~dp0..\.."
for %%i in ("%root%") do set "root=%%~fi"
set "TSX_TSCONFIG_PATH=%root%\tsconfig.json"
set "loader=file:///%root:\=/%/node_modules/tsx/dist/loader.mjs"
node --no-warnings=ExperimentalWarning --import "%loader%" "%root%\main\cli\index.ts" %*
exit /b %ERRORLEVEL%
