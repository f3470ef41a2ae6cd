#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Set-AmsRecoveryPassword, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Set-AmsRecoveryPassword' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'is a High impact key change' {
        Get-AmsConfirmImpact Set-AmsRecoveryPassword | Should -BeExactly 'High'
        (Get-Command Set-AmsRecoveryPassword).DefaultParameterSet | Should -BeExactly 'RecoveryPassword'
    }

    It 'hands the new password to ams on stdin and writes nothing' {
        $output = Set-AmsRecoveryPassword -RecoveryPassword (New-AmsTestSecureString 'new recovery pw') -Force
        $output | Should -BeNullOrEmpty
        $call = Get-AmsStubCall
        $call.Line | Should -BeExactly 'key recovery-password set'
        $call.Stdin | Should -BeExactly "new recovery pw`n"
    }

    It 'returns a generated password as a SecureString, or text with -AsPlainText' {
        (Set-AmsRecoveryPassword -Generate -Force).RecoveryPassword | Should -BeOfType ([System.Security.SecureString])
        (Get-AmsStubCall)[0].Line | Should -BeExactly 'key recovery-password set --generate'
        (Set-AmsRecoveryPassword -Generate -AsPlainText -Force).RecoveryPassword | Should -BeExactly 'new-generated-recovery-password'
    }

    It 'passes -Rotate as --rotate and returns the key ids' {
        Set-AmsStubResponse -Verb 'key recovery-password set' -Response @{ stdout = @{ RecoveryPasswordChanged = $true; PreviousMasterKeyId = 'a'; MasterKeyId = 'b' } }
        $output = Set-AmsRecoveryPassword -RecoveryPassword (New-AmsTestSecureString 'new recovery pw') -Rotate -Force
        $output.MasterKeyId | Should -BeExactly 'b'
        $call = Get-AmsStubCall
        $call.Line | Should -BeExactly 'key recovery-password set --rotate'
        $call.Stdin | Should -BeExactly "new recovery pw`n"
    }
}
