function Move-AmsAgentPolicy {
    <#
    .SYNOPSIS
    Moves a custom agent policy to another place in the evaluation order. (Module addition.)

    .DESCRIPTION
    Places a custom agent policy at a position among the custom policies of its operating
    system (1 is evaluated first); the others keep their relative order. A change of order can
    change which policy applies to a device; devices whose maximum password age gets shorter are
    told to rotate at their next check-in.

    Runs `ams agent-policy move`.

    .PARAMETER Id
    The id of the policy. Binds from the Id property of piped objects.

    .PARAMETER Position
    The new place, from 1 to the number of custom policies of the operating system.

    .PARAMETER WhatIf
    Shows what would be moved without running ams.

    .PARAMETER Confirm
    Asks before moving the policy.

    .INPUTS
    System.String. Any object with an Id property, such as the output of Get-AmsAgentPolicy.

    .OUTPUTS
    Ams.AgentPolicy

    .EXAMPLE
    Get-AmsAgentPolicy -Name 'Finance' | Move-AmsAgentPolicy -Position 1

    Makes a policy the first one evaluated.

    .NOTES
    Module addition: not one of the 43 upstream cmdlets. Wraps `ams agent-policy move`.

    .LINK
    Get-AmsAgentPolicy
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('Ams.AgentPolicy')]
    param(
        [Parameter(Mandatory, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [string] $Id,

        [Parameter(Mandatory)]
        [ValidateRange(1, 100000)]
        [int] $Position
    )

    if (-not $PSCmdlet.ShouldProcess("agent policy $Id", "Move to position $Position")) {
        return
    }
    $parameters = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name 'Id', 'Position'
    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'agent-policy move' -Parameters $parameters -TargetObject $Id |
        Add-AmsTypeName -TypeName 'Ams.AgentPolicy'
}
