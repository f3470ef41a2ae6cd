# The only file that starts the ams process. Everything else builds requests and reads results.
#
# Rules kept here:
# - argv is a list of separate arguments (ProcessStartInfo.ArgumentList on PowerShell 7; on
#   Windows PowerShell 5.1 the list is joined with the quoting rules of the C runtime);
# - stdin, stdout and stderr are UTF-8 without a byte order mark, whatever the console uses;
# - stdin is written (secrets, or NDJSON for `ams batch`) and then closed;
# - argv and stdin are never written to the Verbose, Debug or Information streams.

function Test-AmsWindows {
    # $IsWindows does not exist on Windows PowerShell 5.1, which only runs on Windows.
    [System.Environment]::OSVersion.Platform -eq [System.PlatformID]::Win32NT
}

function Resolve-AmsCliPath {
    # Finds the ams executable: $env:AMS_CLI_PATH first, then `ams` on PATH.
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)]
        [System.Management.Automation.PSCmdlet] $Caller
    )

    $fromEnvironment = $env:AMS_CLI_PATH
    if (-not [string]::IsNullOrWhiteSpace($fromEnvironment)) {
        if (Test-Path -LiteralPath $fromEnvironment -PathType Leaf) {
            return (Resolve-Path -LiteralPath $fromEnvironment).ProviderPath
        }
        $message = "AMS_CLI_PATH is set to '$fromEnvironment', but no file exists there. Point `$env:AMS_CLI_PATH at the ams executable, or remove it to use the ams found on PATH."
        $Caller.ThrowTerminatingError((New-AmsSetupErrorRecord -ErrorId 'AmsCliNotFound' -Message $message -Category ObjectNotFound -TargetObject $fromEnvironment))
    }

    $command = Get-Command -Name 'ams' -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if ($null -ne $command) {
        return $command.Path
    }

    $message = "The ams command line was not found: `$env:AMS_CLI_PATH is not set and there is no 'ams' executable on PATH. Install ams, then put it on PATH or set `$env:AMS_CLI_PATH to its full path."
    $Caller.ThrowTerminatingError((New-AmsSetupErrorRecord -ErrorId 'AmsCliNotFound' -Message $message -Category ObjectNotFound -TargetObject 'ams'))
}

function ConvertTo-AmsCommandLine {
    # Joins arguments into one command line that the C runtime (and Rust's std) splits back into the
    # same list. Only used where ProcessStartInfo.ArgumentList does not exist (.NET Framework).
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)]
        [AllowEmptyCollection()]
        [AllowEmptyString()]
        [string[]] $ArgumentList
    )

    $parts = foreach ($argument in $ArgumentList) {
        if ($argument.Length -gt 0 -and $argument -notmatch '[\s"]') {
            $argument
            continue
        }
        $builder = [System.Text.StringBuilder]::new()
        [void]$builder.Append([char]'"')
        $backslashes = 0
        foreach ($character in $argument.ToCharArray()) {
            if ($character -eq [char]'\') {
                $backslashes++
                continue
            }
            if ($character -eq [char]'"') {
                # Backslashes before a quote are doubled, and the quote itself is escaped.
                [void]$builder.Append([char]'\', (2 * $backslashes) + 1)
                [void]$builder.Append([char]'"')
            }
            else {
                if ($backslashes -gt 0) {
                    [void]$builder.Append([char]'\', $backslashes)
                }
                [void]$builder.Append($character)
            }
            $backslashes = 0
        }
        # Backslashes before the closing quote are doubled so that the quote stays a delimiter.
        if ($backslashes -gt 0) {
            [void]$builder.Append([char]'\', 2 * $backslashes)
        }
        [void]$builder.Append([char]'"')
        $builder.ToString()
    }
    @($parts) -join ' '
}

function Invoke-AmsCli {
    # Runs ams once with `--output json` and the given arguments, writes InputText to its stdin and
    # closes it, and returns ExitCode, Stdout and Stderr. Failing to start is a terminating error.
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)]
        [System.Management.Automation.PSCmdlet] $Caller,

        [Parameter(Mandatory)]
        [AllowEmptyCollection()]
        [AllowEmptyString()]
        [string[]] $ArgumentList,

        [AllowNull()]
        [AllowEmptyString()]
        [string] $InputText
    )

    $executable = Resolve-AmsCliPath -Caller $Caller

    $fileName = $executable
    $argv = [System.Collections.Generic.List[string]]::new()
    if ($executable -match '\.ps1$') {
        # A PowerShell script (the test stub): run it with the PowerShell that runs this module.
        $fileName = [System.Diagnostics.Process]::GetCurrentProcess().MainModule.FileName
        $argv.AddRange([string[]]@('-NoLogo', '-NoProfile', '-NonInteractive'))
        if (Test-AmsWindows) {
            $argv.AddRange([string[]]@('-ExecutionPolicy', 'Bypass'))
        }
        $argv.Add('-File')
        $argv.Add($executable)
    }
    $argv.Add('--output')
    $argv.Add('json')
    foreach ($argument in $ArgumentList) {
        $argv.Add($argument)
    }

    $utf8 = [System.Text.UTF8Encoding]::new($false)
    $startInfo = [System.Diagnostics.ProcessStartInfo]::new()
    $startInfo.FileName = $fileName
    $startInfo.UseShellExecute = $false
    $startInfo.CreateNoWindow = $true
    $startInfo.RedirectStandardInput = $true
    $startInfo.RedirectStandardOutput = $true
    $startInfo.RedirectStandardError = $true
    $startInfo.StandardOutputEncoding = $utf8
    $startInfo.StandardErrorEncoding = $utf8
    if ($null -ne $startInfo.PSObject.Properties['StandardInputEncoding']) {
        $startInfo.StandardInputEncoding = $utf8
    }
    $location = Get-Location -PSProvider FileSystem -ErrorAction SilentlyContinue
    if ($null -ne $location) {
        $startInfo.WorkingDirectory = $location.ProviderPath
    }
    if ($null -ne $startInfo.PSObject.Properties['ArgumentList']) {
        foreach ($argument in $argv) {
            $startInfo.ArgumentList.Add($argument)
        }
    }
    else {
        $startInfo.Arguments = ConvertTo-AmsCommandLine -ArgumentList $argv.ToArray()
    }

    $process = [System.Diagnostics.Process]::new()
    $process.StartInfo = $startInfo
    try {
        $null = $process.Start()
    }
    catch {
        $process.Dispose()
        $message = "Could not start the ams command line '$executable': $($_.Exception.Message)"
        $Caller.ThrowTerminatingError((New-AmsSetupErrorRecord -ErrorId 'AmsCliStartFailed' -Message $message -Category ResourceUnavailable -TargetObject $executable -Exception $_.Exception))
    }

    try {
        # Read both streams while stdin is written, so a large batch cannot fill a pipe and stall.
        $stdoutTask = $process.StandardOutput.ReadToEndAsync()
        $stderrTask = $process.StandardError.ReadToEndAsync()

        if (-not [string]::IsNullOrEmpty($InputText)) {
            $bytes = $utf8.GetBytes($InputText)
            try {
                $stream = $process.StandardInput.BaseStream
                $stream.Write($bytes, 0, $bytes.Length)
                $stream.Flush()
            }
            catch {
                # ams stopped reading early (it failed before reading its input); its exit code and
                # stderr say why, so this write error adds nothing.
                Write-Debug -Message 'ams closed its standard input early.'
            }
            finally {
                [System.Array]::Clear($bytes, 0, $bytes.Length)
            }
        }
        try {
            $process.StandardInput.Close()
        }
        catch {
            Write-Debug -Message 'ams had already closed its standard input.'
        }

        $stdout = $stdoutTask.GetAwaiter().GetResult()
        $stderr = $stderrTask.GetAwaiter().GetResult()
        $process.WaitForExit()

        [pscustomobject]@{
            ExitCode = $process.ExitCode
            Stdout   = $stdout
            Stderr   = $stderr
        }
    }
    finally {
        $process.Dispose()
    }
}

function ConvertFrom-AmsJson {
    # Parses one JSON document from ams and writes its items (an array is unrolled; nulls dropped).
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)]
        [System.Management.Automation.PSCmdlet] $Caller,

        [AllowNull()]
        [AllowEmptyString()]
        [string] $Text,

        [string] $Verb
    )

    if ([string]::IsNullOrWhiteSpace($Text)) {
        return
    }
    try {
        $document = ConvertFrom-Json -InputObject $Text -ErrorAction Stop
    }
    catch {
        $message = "ams $Verb printed output that is not JSON. Check that AMS_CLI_PATH points at a matching ams version."
        $Caller.ThrowTerminatingError((New-AmsSetupErrorRecord -ErrorId 'AmsCliBadOutput' -Message $message -Category InvalidResult -TargetObject $Verb -Exception $_.Exception))
    }
    foreach ($item in @($document)) {
        if ($null -ne $item) {
            $item
        }
    }
}

function Write-AmsCliFailure {
    # Turns a failed run (non-zero exit, JSON error on stderr) into an error record.
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)]
        [System.Management.Automation.PSCmdlet] $Caller,

        [int] $ExitCode,

        [AllowNull()]
        [AllowEmptyString()]
        [string] $Stderr,

        [string] $Verb,

        [AllowNull()]
        $TargetObject,

        [switch] $Terminating
    )

    $errorObject = $null
    if (-not [string]::IsNullOrWhiteSpace($Stderr)) {
        try {
            $document = ConvertFrom-Json -InputObject $Stderr -ErrorAction Stop
            $errorObject = Get-AmsMember -InputObject $document -Name 'error'
        }
        catch {
            $errorObject = $null
        }
    }
    if ($null -eq $errorObject) {
        $text = if ([string]::IsNullOrWhiteSpace($Stderr)) { 'no error text' } else { $Stderr.Trim() }
        if ($text.Length -gt 1000) {
            $text = $text.Substring(0, 1000) + '...'
        }
        $errorObject = [pscustomobject]@{
            code    = 'AmsCliFailed'
            kind    = 'internal'
            message = "ams $Verb failed with exit code ${ExitCode}: $text"
        }
    }
    Write-AmsErrorDocument -Caller $Caller -ErrorObject $errorObject -ExitCode $ExitCode -TargetObject $TargetObject -Terminating:$Terminating
}

function Invoke-AmsVerb {
    # Runs one verb with flags built from Parameters (PascalCase keys) and writes the parsed result.
    # Positional values (such as the FILE of `ams db verify FILE`) come last, after a `--` so that a
    # value starting with '-' is never read as a flag. A secret, if given, travels on stdin only.
    # Failures become error records on the Caller.
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)]
        [System.Management.Automation.PSCmdlet] $Caller,

        [Parameter(Mandatory)]
        [string] $Verb,

        [System.Collections.IDictionary] $Parameters,

        [AllowNull()]
        [AllowEmptyCollection()]
        [string[]] $Positional,

        [AllowNull()]
        [System.Security.SecureString] $Secret,

        [AllowNull()]
        $TargetObject
    )

    $argv = [System.Collections.Generic.List[string]]::new()
    $argv.AddRange([string[]]($Verb -split ' '))
    if ($null -ne $Parameters) {
        foreach ($argument in @(ConvertTo-AmsArgument -Parameters $Parameters)) {
            $argv.Add($argument)
        }
    }
    $values = @($Positional | Where-Object { $null -ne $_ })
    if ($values.Count -gt 0) {
        $argv.Add('--')
        foreach ($value in $values) {
            $argv.Add([string]$value)
        }
    }

    $inputText = $null
    if ($null -ne $Secret) {
        $inputText = (ConvertFrom-AmsSecureString -SecureString $Secret) + "`n"
    }

    Write-Verbose -Message "Running: ams $Verb"
    $result = Invoke-AmsCli -Caller $Caller -ArgumentList $argv.ToArray() -InputText $inputText

    if ($result.ExitCode -ne 0) {
        Write-AmsCliFailure -Caller $Caller -ExitCode $result.ExitCode -Stderr $result.Stderr -Verb $Verb -TargetObject $TargetObject
        return
    }
    ConvertFrom-AmsJson -Caller $Caller -Text $result.Stdout -Verb $Verb
}

function Invoke-AmsBatch {
    # Sends many requests through one `ams batch` run (NDJSON in, NDJSON out) and writes the results
    # in request order. A failed request becomes a non-terminating error naming its pipeline object.
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)]
        [System.Management.Automation.PSCmdlet] $Caller,

        [Parameter(Mandatory)]
        [object[]] $Requests
    )

    $lines = foreach ($request in $Requests) {
        $body = [ordered]@{
            verb       = $request.Verb
            parameters = ConvertTo-AmsBatchParameter -Parameters $request.Parameters
        }
        ConvertTo-Json -InputObject $body -Depth 10 -Compress
    }
    $inputText = (@($lines) -join "`n") + "`n"

    $verbs = @($Requests | ForEach-Object { $_.Verb } | Select-Object -Unique) -join ', '
    Write-Verbose -Message "Running: ams batch ($($Requests.Count) requests: $verbs)"
    $result = Invoke-AmsCli -Caller $Caller -ArgumentList @('batch') -InputText $inputText

    $responseLines = @($result.Stdout -split "`r?`n" | Where-Object { -not [string]::IsNullOrWhiteSpace($_) })
    if ($responseLines.Count -eq 0) {
        if ($result.ExitCode -ne 0) {
            Write-AmsCliFailure -Caller $Caller -ExitCode $result.ExitCode -Stderr $result.Stderr -Verb 'batch' -Terminating
        }
        $message = "ams batch returned no results for $($Requests.Count) requests."
        $Caller.ThrowTerminatingError((New-AmsSetupErrorRecord -ErrorId 'AmsCliBadOutput' -Message $message -Category InvalidResult -TargetObject 'batch'))
    }

    try {
        $responses = ConvertFrom-Json -InputObject ('[' + ($responseLines -join ',') + ']') -ErrorAction Stop
    }
    catch {
        $message = 'ams batch printed a line that is not JSON. Check that AMS_CLI_PATH points at a matching ams version.'
        $Caller.ThrowTerminatingError((New-AmsSetupErrorRecord -ErrorId 'AmsCliBadOutput' -Message $message -Category InvalidResult -TargetObject 'batch' -Exception $_.Exception))
    }

    $byIndex = @{}
    foreach ($response in @($responses)) {
        if ($null -ne $response) {
            $byIndex[[int](Get-AmsMember -InputObject $response -Name 'index')] = $response
        }
    }

    for ($index = 0; $index -lt $Requests.Count; $index++) {
        $request = $Requests[$index]
        $response = $byIndex[$index]
        if ($null -eq $response) {
            $errorObject = [pscustomobject]@{
                code    = 'AmsBatchResultMissing'
                kind    = 'internal'
                message = "ams batch returned no result for request $index ($($request.Verb))."
            }
            Write-AmsErrorDocument -Caller $Caller -ErrorObject $errorObject -ExitCode $result.ExitCode -TargetObject $request.Target
            continue
        }
        if ([bool](Get-AmsMember -InputObject $response -Name 'ok')) {
            $value = Get-AmsMember -InputObject $response -Name 'result'
            foreach ($item in @($value)) {
                if ($null -ne $item) {
                    $item
                }
            }
        }
        else {
            $errorObject = Get-AmsMember -InputObject $response -Name 'error'
            Write-AmsErrorDocument -Caller $Caller -ErrorObject $errorObject -ExitCode $result.ExitCode -TargetObject $request.Target
        }
    }
}

function Invoke-AmsRequestQueue {
    # Sends queued requests and empties the queue: one request runs as a plain command line, more
    # than one go through `ams batch`, so a pipeline of any length starts ams a bounded number of times.
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)]
        [System.Management.Automation.PSCmdlet] $Caller,

        [Parameter(Mandatory)]
        [AllowEmptyCollection()]
        [System.Collections.Generic.List[object]] $Queue
    )

    if ($Queue.Count -eq 0) {
        return
    }
    $requests = $Queue.ToArray()
    $Queue.Clear()
    if ($requests.Count -eq 1) {
        Invoke-AmsVerb -Caller $Caller -Verb $requests[0].Verb -Parameters $requests[0].Parameters -TargetObject $requests[0].Target
        return
    }
    Invoke-AmsBatch -Caller $Caller -Requests $requests
}
