#
# Tab completion for the values a user would otherwise have to look up: device names, and the ids
# of devices, groups, authorization rules and registration keys, read from the instance that the
# module's `ams` would use (AMS_DATA_DIR or the default). Completion never writes an error: an
# instance that cannot be read simply completes nothing.
#

# Which `ams` verb lists the candidates of each kind, and which properties give the value and the
# text shown beside it.
$script:AmsCompletionSource = @{
    DeviceName       = @{ Verb = 'device get'; Value = 'Name'; Label = 'Id' }
    DeviceId         = @{ Verb = 'device get'; Value = 'Id'; Label = 'Name' }
    GroupName        = @{ Verb = 'group get'; Value = 'Name'; Label = 'Id' }
    GroupId          = @{ Verb = 'group get'; Value = 'Id'; Label = 'Name' }
    RegistrationKeyId = @{ Verb = 'device-registration-key get'; Value = 'Id'; Label = 'Name' }
    RegistrationKeyName = @{ Verb = 'device-registration-key get'; Value = 'Name'; Label = 'Id' }
    ComputerRuleId   = @{ Verb = 'computer-authorization-rule get'; Value = 'Id'; Label = 'Description' }
    RoleRuleId       = @{ Verb = 'role-authorization-rule get'; Value = 'Id'; Label = 'Name' }
    RoleRuleName     = @{ Verb = 'role-authorization-rule get'; Value = 'Name'; Label = 'Id' }
}

# Command -> parameter -> kind of value.
$script:AmsCompleterMap = [ordered]@{
    'Get-AmsLocalAdminPassword'             = @{ ComputerName = 'DeviceName' }
    'Get-AmsLocalAdminPasswordHistory'      = @{ ComputerName = 'DeviceName' }
    'Get-AmsFveRecoveryKey'                 = @{ ComputerName = 'DeviceName' }
    'Get-AmsDevice'                         = @{ Name = 'DeviceName'; Id = 'DeviceId' }
    'Set-AmsDevice'                         = @{ Id = 'DeviceId' }
    'Remove-AmsDevice'                      = @{ Id = 'DeviceId' }
    'Get-AmsGroup'                          = @{ Name = 'GroupName'; Id = 'GroupId' }
    'Set-AmsGroup'                          = @{ Id = 'GroupId' }
    'Remove-AmsGroup'                       = @{ Id = 'GroupId' }
    'Get-AmsGroupMembers'                   = @{ Id = 'GroupId' }
    'Add-AmsGroupMember'                    = @{ Id = 'GroupId' }
    'Remove-AmsGroupMember'                 = @{ Id = 'GroupId' }
    'Get-AmsDeviceRegistrationKey'          = @{ Name = 'RegistrationKeyName'; Id = 'RegistrationKeyId' }
    'Set-AmsDeviceRegistrationKey'          = @{ Id = 'RegistrationKeyId' }
    'Remove-AmsDeviceRegistrationKey'       = @{ Id = 'RegistrationKeyId' }
    'Add-AmsDeviceRegistrationKeyGroup'     = @{ Id = 'RegistrationKeyId' }
    'Remove-AmsDeviceRegistrationKeyGroup'  = @{ Id = 'RegistrationKeyId' }
    'Get-AmsComputerAuthorizationRule'      = @{ Id = 'ComputerRuleId' }
    'Set-AmsComputerAuthorizationRule'      = @{ Id = 'ComputerRuleId' }
    'Remove-AmsComputerAuthorizationRule'   = @{ Id = 'ComputerRuleId' }
    'Get-AmsRoleAuthorizationRule'          = @{ Name = 'RoleRuleName'; Id = 'RoleRuleId' }
    'Set-AmsRoleAuthorizationRule'          = @{ Id = 'RoleRuleId' }
    'Remove-AmsRoleAuthorizationRule'       = @{ Id = 'RoleRuleId' }
}

function Get-AmsCompletionCandidate {
    # The candidates of one kind whose value starts with WordToComplete (case-insensitive), as
    # CompletionResult objects, sorted by value. One `ams` run per completion.
    [CmdletBinding()]
    [OutputType([System.Management.Automation.CompletionResult])]
    param(
        [Parameter(Mandatory)]
        [string] $Kind,

        [AllowEmptyString()]
        [string] $WordToComplete = ''
    )

    $source = $script:AmsCompletionSource[$Kind]
    if ($null -eq $source) {
        return
    }
    $prefix = $WordToComplete.Trim("'", '"')
    $items = try {
        Invoke-AmsVerb -Caller $PSCmdlet -Verb $source.Verb -ErrorAction SilentlyContinue 2>$null
    }
    catch {
        @()
    }
    $seen = [System.Collections.Generic.HashSet[string]]::new([System.StringComparer]::OrdinalIgnoreCase)
    $candidates = foreach ($item in @($items)) {
        if ($null -eq $item) { continue }
        $value = [string](Get-AmsMember -InputObject $item -Name $source.Value)
        if ([string]::IsNullOrEmpty($value) -or -not $value.StartsWith($prefix, [System.StringComparison]::OrdinalIgnoreCase)) { continue }
        if (-not $seen.Add($value)) { continue }
        $label = [string](Get-AmsMember -InputObject $item -Name $source.Label)
        [pscustomobject]@{ Value = $value; Label = $label }
    }
    foreach ($candidate in @($candidates | Sort-Object -Property Value)) {
        $text = if ($candidate.Value -match "[\s'`"`$;,(){}@&|<>#]") { "'" + ($candidate.Value -replace "'", "''") + "'" } else { $candidate.Value }
        $tooltip = if ([string]::IsNullOrEmpty($candidate.Label)) { $candidate.Value } else { "$($candidate.Value) ($($candidate.Label))" }
        [System.Management.Automation.CompletionResult]::new($text, $candidate.Value, 'ParameterValue', $tooltip)
    }
}

function Register-AmsArgumentCompleter {
    # Registers one completer per (command, parameter) pair of the map above.
    [CmdletBinding()]
    param()

    # The script block is written here, in the module, so that it runs in the module's scope and
    # reaches its private functions (a GetNewClosure() copy would not). It finds its kind from the
    # command and parameter names PowerShell passes in.
    $completer = {
        param($commandName, $parameterName, $wordToComplete, $commandAst, $fakeBoundParameters)
        $null = $commandAst, $fakeBoundParameters
        $name = [string]$commandName -replace '^.*\\', ''
        if ($script:AmsCompleterMap.Keys -notcontains $name) {
            $resolved = Get-Command -Name $commandName -ErrorAction SilentlyContinue
            if ($null -ne $resolved -and $resolved.CommandType -eq 'Alias') {
                $name = $resolved.ResolvedCommand.Name
            }
        }
        $parameters = $script:AmsCompleterMap[$name]
        if ($null -ne $parameters -and $parameters.ContainsKey($parameterName)) {
            Get-AmsCompletionCandidate -Kind $parameters[$parameterName] -WordToComplete $wordToComplete
        }
    }
    foreach ($commandName in $script:AmsCompleterMap.Keys) {
        foreach ($parameterName in $script:AmsCompleterMap[$commandName].Keys) {
            Register-ArgumentCompleter -CommandName $commandName -ParameterName $parameterName -ScriptBlock $completer
        }
    }
}
