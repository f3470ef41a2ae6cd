function New-AmsActiveDirectoryJitGroupCreationRule {
    <#
    .SYNOPSIS
    Creates a rule that makes a JIT group for every computer in an OU.

    .DESCRIPTION
    Adds a JIT group creation rule. `ams jit sync` then creates, in GroupOU, one group per
    computer found in ComputerOU, named by GroupNameTemplate. The rule needs ComputerOU and
    GroupOU; the template defaults to JIT-%computerName% and the group type to DomainLocal.

    Runs `ams active-directory-jit-group-creation-rule new`.

    .PARAMETER ComputerOU
    DN of the OU searched for computers that need a JIT group.

    .PARAMETER CreateUnixGid
    Whether each created group gets a Unix GID.

    .PARAMETER EnableJitGroupDeletion
    Whether a full sync deletes groups in GroupOU whose computer no longer exists.

    .PARAMETER GroupDescription
    Description put on the created groups.

    .PARAMETER GroupNameTemplate
    Name template of the groups; must contain %computerName% (for example JIT-%computerName%).

    .PARAMETER GroupOU
    DN of the OU the groups are created in.

    .PARAMETER GroupType
    DomainLocal, Global or Universal.

    .PARAMETER Subtree
    Whether computers below ComputerOU are included.

    .PARAMETER UnixGidAttributeName
    Attribute that receives the Unix GID (gidNumber by default).

    .PARAMETER UnixGidStartRange
    Offset of the Unix GIDs: GID = group RID + offset.

    .PARAMETER WhatIf
    Shows what would be created without running ams.

    .PARAMETER Confirm
    Asks before creating the rule.

    .INPUTS
    None. This cmdlet does not take pipeline input.

    .OUTPUTS
    Ams.JitGroupCreationRule

    .EXAMPLE
    New-AmsActiveDirectoryJitGroupCreationRule -ComputerOU 'OU=Computers,DC=example,DC=com' -GroupOU 'OU=Groups,DC=example,DC=com' -GroupNameTemplate 'JIT-%computerName%' -GroupType DomainLocal

    Creates a JIT group for every computer in the Computers OU.

    .EXAMPLE
    New-AmsActiveDirectoryJitGroupCreationRule -ComputerOU 'OU=Servers,DC=example,DC=com' -Subtree $true -GroupOU 'OU=Groups,DC=example,DC=com' -CreateUnixGid $true -UnixGidStartRange 10000

    Also gives each group a Unix GID.

    .NOTES
    Part of the 43 upstream cmdlets. Returns the new rule. Adds -WhatIf and -Confirm. Wraps `ams active-directory-jit-group-creation-rule new`.

    .LINK
    Get-AmsActiveDirectoryJitGroupCreationRule

    .LINK
    Set-AmsActiveDirectoryJitGroupCreationRule
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('Ams.JitGroupCreationRule')]
    param(
        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string] $ComputerOU,

        [Parameter()]
        [bool] $CreateUnixGid,

        [Parameter()]
        [bool] $EnableJitGroupDeletion,

        [Parameter()]
        [AllowEmptyString()]
        [string] $GroupDescription,

        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string] $GroupNameTemplate,

        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string] $GroupOU,

        [Parameter()]
        [ValidateSet('DomainLocal', 'Global', 'Universal')]
        [string] $GroupType,

        [Parameter()]
        [bool] $Subtree,

        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string] $UnixGidAttributeName,

        [Parameter()]
        [ValidateRange(0, 2147483647)]
        [int] $UnixGidStartRange
    )

    $parameters = [ordered]@{}
    foreach ($name in 'ComputerOU', 'Subtree', 'GroupOU', 'GroupNameTemplate', 'GroupDescription', 'GroupType', 'EnableJitGroupDeletion', 'CreateUnixGid', 'UnixGidAttributeName', 'UnixGidStartRange') {
        if (-not $PSBoundParameters.ContainsKey($name)) {
            continue
        }
        $value = $PSBoundParameters[$name]
        if ($value -is [bool]) {
            # ams takes these as true/false values; a flag left out would mean "no change".
            $value = if ($value) { 'true' } else { 'false' }
        }
        $parameters[$name] = $value
    }

    if (-not $PSCmdlet.ShouldProcess("JIT group creation rule for $ComputerOU", 'Create')) {
        return
    }
    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'active-directory-jit-group-creation-rule new' -Parameters $parameters |
        Add-AmsTypeName -TypeName 'Ams.JitGroupCreationRule'
}
