#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Restore-AmsMasterKey, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Restore-AmsMasterKey' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'is a High impact key change taking a SecureString' {
        Get-AmsConfirmImpact Restore-AmsMasterKey | Should -BeExactly 'High'
        (Get-Command Restore-AmsMasterKey).Parameters['RecoveryPassword'].ParameterType | Should -Be ([System.Security.SecureString])
    }

    It 'hands the recovery password to ams on stdin only' {
        $status = Restore-AmsMasterKey -RecoveryPassword (New-AmsTestSecureString 'recover-me') -Force
        $call = Get-AmsStubCall
        $call.Line | Should -BeExactly 'key recover'
        $call.Stdin | Should -BeExactly "recover-me`n"
        $status.PSTypeNames[0] | Should -BeExactly 'Ams.MasterKeyStatus'
    }

    It 'does not run ams under -WhatIf' {
        Restore-AmsMasterKey -RecoveryPassword (New-AmsTestSecureString 'x') -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }
}
