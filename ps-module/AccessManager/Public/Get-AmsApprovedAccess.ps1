function Get-AmsApprovedAccess {
    <#
    .SYNOPSIS
    Fetches the access an approved request gave, once.

    .DESCRIPTION
    Returns the secret (LAPS password, password history or BitLocker keys) of an access request
    that an approver approved: once, to the requester only, within the rule's access window (see
    docs/approvals.md). The rules are checked again first. Passwords and recovery keys are
    SecureStrings unless -AsPlainText is given. A second fetch, a denied or an expired request
    gives an error record with the ams code (AMS-APR-0006, AMS-APR-0005, AMS-APR-0004).

    Runs `ams access get`.

    .PARAMETER RequestId
    The request id. Binds from the RequestId or Id property of piped objects.

    .PARAMETER UserSid
    The requester's SID.

    .PARAMETER AsPlainText
    Return the secrets as plain strings instead of SecureStrings.

    .INPUTS
    System.String. Any object with a RequestId or Id property.

    .OUTPUTS
    Ams.AccessGrant.

    .EXAMPLE
    $grant = Get-AmsApprovedAccess -RequestId $request.RequestId -UserSid 'S-1-5-21-1004336348-1177238915-682003330-1104'

    Fetches the password once the request was approved.

    .NOTES
    A module addition (no upstream cmdlet). Wraps `ams access get`.

    .LINK
    Get-AmsAccessRequest
    #>
    [CmdletBinding()]
    [OutputType('Ams.AccessGrant')]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipelineByPropertyName)]
        [Alias('Id')]
        [ValidateNotNullOrEmpty()]
        [string] $RequestId,

        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string] $UserSid,

        [switch] $AsPlainText
    )

    process {
        $parameters = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name 'RequestId', 'UserSid'
        foreach ($grant in @(Invoke-AmsVerb -Caller $PSCmdlet -Verb 'access get' -Parameters $parameters -TargetObject $RequestId)) {
            if ($null -eq $grant) {
                continue
            }
            $grant = $grant | Add-AmsTypeName -TypeName 'Ams.AccessGrant'
            foreach ($p in @($grant.PSObject.Properties['Password'], $grant.PSObject.Properties['PasswordHistory'])) {
                if ($null -ne $p -and $null -ne $p.Value) {
                    $null = @($p.Value) | Add-AmsTypeName -TypeName 'Ams.Password' | Protect-AmsSecretProperty -PropertyName 'Password' -AsPlainText:$AsPlainText
                }
            }
            $keys = $grant.PSObject.Properties['BitLockerKeys']
            if ($null -ne $keys -and $null -ne $keys.Value) {
                $null = @($keys.Value) | Add-AmsTypeName -TypeName 'Ams.FveRecoveryKey' | Protect-AmsSecretProperty -PropertyName 'RecoveryPassword' -AsPlainText:$AsPlainText
            }
            $grant
        }
    }
}
