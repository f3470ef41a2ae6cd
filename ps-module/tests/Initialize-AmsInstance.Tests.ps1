#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Initialize-AmsInstance, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Initialize-AmsInstance' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'takes a SecureString or -GenerateRecoveryPassword' {
        $command = Get-Command -Name Initialize-AmsInstance -Module AccessManager
        $command.Parameters['RecoveryPassword'].ParameterType | Should -Be ([System.Security.SecureString])
        (Get-AmsParameterSet Initialize-AmsInstance GenerateRecoveryPassword GenerateRecoveryPassword).IsMandatory | Should -BeTrue
    }

    It 'hands the recovery password to ams on stdin only' {
        $report = Initialize-AmsInstance -RecoveryPassword (New-AmsTestSecureString 'long enough recovery pw') -Confirm:$false
        $call = Get-AmsStubCall
        $call.Line | Should -BeExactly 'init'
        $call.Stdin | Should -BeExactly "long enough recovery pw`n"
        $report.PSTypeNames[0] | Should -BeExactly 'Ams.InstanceReport'
    }

    It 'returns a generated password as a SecureString, or text with -AsPlainText' {
        $report = Initialize-AmsInstance -GenerateRecoveryPassword -Confirm:$false
        (Get-AmsStubCall).Line | Should -BeExactly 'init --generate-recovery-password'
        $report.RecoveryPassword | Should -BeOfType ([System.Security.SecureString])
        (Initialize-AmsInstance -GenerateRecoveryPassword -AsPlainText -Confirm:$false).RecoveryPassword |
            Should -BeExactly 'generated-recovery-password'
    }

    It 'does not run ams under -WhatIf' {
        Initialize-AmsInstance -GenerateRecoveryPassword -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }
}
