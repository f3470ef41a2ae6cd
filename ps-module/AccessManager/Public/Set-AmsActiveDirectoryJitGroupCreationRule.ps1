function Set-AmsActiveDirectoryJitGroupCreationRule {
    <#
    .SYNOPSIS
    Changes a JIT group creation rule.

    .DESCRIPTION
    Changes one or more settings of a JIT group creation rule; settings left out are kept.
    -ForceFullSync asks for a full sync (deletions included, where the rule allows them) at the
    next `ams jit sync`.

    Runs `ams active-directory-jit-group-creation-rule set`.

    .PARAMETER Id
    The id of the rule. Binds from the Id property of piped objects.

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

    .PARAMETER ForceFullSync
    Ask for a full sync at the next run.

    .PARAMETER WhatIf
    Shows what would change without running ams.

    .PARAMETER Confirm
    Asks before changing the rule.

    .INPUTS
    System.String. Any object with an Id property, such as the output of Get-AmsActiveDirectoryJitGroupCreationRule.

    .OUTPUTS
    Ams.JitGroupCreationRule

    .EXAMPLE
    Set-AmsActiveDirectoryJitGroupCreationRule -Id '12345678-1234-1234-1234-123456789012' -Subtree $true -GroupDescription 'AMS JIT group'

    Includes child OUs and changes the description of new groups.

    .EXAMPLE
    Get-AmsActiveDirectoryJitGroupCreationRule | Set-AmsActiveDirectoryJitGroupCreationRule -ForceFullSync

    Asks for a full sync of every rule.

    .NOTES
    Part of the 43 upstream cmdlets. Adds -WhatIf and -Confirm. Wraps `ams active-directory-jit-group-creation-rule set`.

    .LINK
    Get-AmsActiveDirectoryJitGroupCreationRule
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('Ams.JitGroupCreationRule')]
    param(
        [Parameter(Mandatory, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [string] $Id,

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
        [int] $UnixGidStartRange,

        [Parameter()]
        [switch] $ForceFullSync
    )

    process {
        $parameters = [ordered]@{ Id = $Id }
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
        if ($ForceFullSync) {
            $parameters['ForceFullSync'] = $true
        }

        if (-not $PSCmdlet.ShouldProcess("JIT group creation rule $Id", 'Update')) {
            return
        }
        Invoke-AmsVerb -Caller $PSCmdlet -Verb 'active-directory-jit-group-creation-rule set' -Parameters $parameters |
            Add-AmsTypeName -TypeName 'Ams.JitGroupCreationRule'
    }
}
