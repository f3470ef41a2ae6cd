#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Set-AmsComputerAuthorizationRule, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Set-AmsComputerAuthorizationRule' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'takes -Id from the pipeline' {
        (Get-AmsParameterSet Set-AmsComputerAuthorizationRule Id).ValueFromPipelineByPropertyName | Should -BeTrue
    }

    It 'adds and removes principals and disables' {
        $null = Set-AmsComputerAuthorizationRule -Id 'r-1' -AddPrincipalsAllowedJit 'S-1-5-21-1-2-3-1104' -RemovePrincipalsDeniedLaps 'S-1-5-21-1-2-3-1105' -Disable
        (Get-AmsStubCall).Argv -join '|' | Should -BeExactly 'computer-authorization-rule|set|--id|r-1|--remove-principals-denied-laps|S-1-5-21-1-2-3-1105|--add-principals-allowed-jit|S-1-5-21-1-2-3-1104|--enabled|false'
    }

    It 'updates piped rules in one batch' {
        $null = 'r-1', 'r-2' | ForEach-Object { [pscustomobject]@{ Id = $_ } } | Set-AmsComputerAuthorizationRule -Enable
        $call = Get-AmsStubCall
        $call.Line | Should -BeExactly 'batch'
        $call.StdinLines.Count | Should -Be 2
        ($call.StdinLines[0] | ConvertFrom-Json).verb | Should -BeExactly 'computer-authorization-rule set'
    }

    It 'does not run ams under -WhatIf' {
        Set-AmsComputerAuthorizationRule -Id 'r-1' -Disable -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }

    It 'adds and removes approvers and turns approval off with -ApprovalRequired:$false' {
        $null = Set-AmsComputerAuthorizationRule -Id 'r-1' -AddApprovers 'S-1-5-21-1-2-3-1105' -RemoveApprovers 'S-1-5-21-1-2-3-1106' -Confirm:$false
        (Get-AmsStubCall).Argv -join '|' | Should -BeExactly 'computer-authorization-rule|set|--id|r-1|--add-approvers|S-1-5-21-1-2-3-1105|--remove-approvers|S-1-5-21-1-2-3-1106'
        Reset-AmsStubLog
        $null = Set-AmsComputerAuthorizationRule -Id 'r-1' -ApprovalRequired:$false -Confirm:$false
        (Get-AmsStubCall).Argv -join '|' | Should -BeExactly 'computer-authorization-rule|set|--id|r-1|--approval-required|false'
    }

}
