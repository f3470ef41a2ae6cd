#
# AccessManager root module. Loads the private helpers first, then one public function per file.
# Only the functions listed in FunctionsToExport (AccessManager.psd1) are visible to callers.
#

# How many pipeline records go to one `ams batch` run: 1,000 piped objects (Get-AmsDevice |
# Set-AmsDevice) start ams once for the whole pipeline (issue 14); the bound keeps the requests a
# batch holds in memory, and the wait for its first result, in proportion.
$script:AmsBatchSize = 5000

$publicNames = [System.Collections.Generic.List[string]]::new()
foreach ($folder in @('Private', 'Public')) {
    $path = Join-Path -Path $PSScriptRoot -ChildPath $folder
    if (-not (Test-Path -LiteralPath $path)) {
        continue
    }
    foreach ($file in (Get-ChildItem -LiteralPath $path -Filter '*.ps1' | Sort-Object -Property Name)) {
        . $file.FullName
        if ($folder -eq 'Public') {
            $publicNames.Add($file.BaseName)
        }
    }
}

# Tab completion of device names and of ids (Private/Register-AmsArgumentCompleter.ps1).
Register-AmsArgumentCompleter

# The manifest narrows this further; this line matters when the .psm1 is imported on its own.
Export-ModuleMember -Function $publicNames.ToArray()
